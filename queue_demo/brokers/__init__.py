"""The queue_demo consumer contract on RabbitMQ (quorum queue) and NATS JetStream (pull consumer).

Redis Streams (queue_demo.consumer) is the one to read first; these are adapters of the same shape.
"""
