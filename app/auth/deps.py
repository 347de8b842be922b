"""Who is asking: dependencies that resolve the current user (placeholder until accounts land)."""

from fastapi import Request


async def load_user(request: Request) -> None:
    """Set request.state.user for the layout (None: nobody is logged in)."""
    request.state.user = None
