"""Optional sync through a shared PostgreSQL server (DESIGN §6).

``server`` applies the server's schema (``server/*.sql``) and holds its two functions, push
and pull; ``transport`` talks to them; ``client`` pushes the local outbox and merges what it
pulls; ``backend`` is what the services' :class:`~console.services.sync.SyncService` drives.
"""
