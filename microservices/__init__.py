"""Explain microservices architecture and its trade-offs: one feature built as a modular monolith and as
two services, measured under the same load and the same faults. Start with README.md."""
