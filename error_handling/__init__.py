"""How do you handle error handling and logging in a production system?"""
