"""Describe your experience with message queues and event-driven architecture"""
