"""What is the CAP theorem?"""
