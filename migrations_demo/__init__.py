"""How do you handle database migrations in production?"""
