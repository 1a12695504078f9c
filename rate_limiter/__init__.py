"""How would you design a rate-limiting system?"""
