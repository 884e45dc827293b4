"""The Mini App (issue 17): a page Telegram opens inside the chat, and its API under /app/api/.

auth.py checks the signed initData every call carries; api.py is the API (the same services,
rules and sentences as the chat); server.py mounts both on the bot's HTTP server, or serves
them on MINIAPP_PORT in polling mode; static/ is the page (vanilla JS, no build step).
"""
