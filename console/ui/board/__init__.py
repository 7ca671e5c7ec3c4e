"""The full-screen countdown wallboard."""

from console.ui.board.view import Wallboard

__all__ = ["Wallboard"]
