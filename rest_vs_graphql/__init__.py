"""Explain the differences between REST and GraphQL"""
