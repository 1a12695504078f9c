"""Explain the differences between REST and GraphQL: two twins over one service layer, measured.

Mount `rest_api.create_rest_router` and `graphql_http.create_graphql_router`; see the README.
"""
