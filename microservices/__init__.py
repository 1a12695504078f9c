"""Explain microservices architecture and its trade-offs"""
