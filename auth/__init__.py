"""Describe how you would implement authentication and authorization"""
