"""How do you secure an API endpoint?"""
