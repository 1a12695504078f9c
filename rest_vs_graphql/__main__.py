"""`python -m rest_vs_graphql`: the demo for "Explain the differences between REST and GraphQL"."""

print(
    'rest_vs_graphql: the answer to "Explain the differences between REST and GraphQL" is coming (issue #13).'
)
