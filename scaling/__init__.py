"""What is the difference between horizontal and vertical scaling?"""
