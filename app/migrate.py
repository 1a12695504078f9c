"""The one-shot `migrate` step of the compose demo: bring the database schema up to date."""

from backing_services.resolve import services_for_demo


def main() -> None:
    with services_for_demo() as services:
        print(f"migrate: database at {services.database_url.split('@')[-1]} is up to date")


if __name__ == "__main__":
    main()
