"""Start-up: the `portcrm` command line, the bot with long polling or a webhook server, and the demo.

- cli.py parses the command line; cli_commands.py holds each command's body and exit code.
- app.py builds the bot (its HTTP client) and the dispatcher (pipeline, routers, scheduler, sender).
- webhook.py serves Telegram's webhook (and /healthz) for one or several instances; webhook_settings.py
  derives its secret and path (a polling bot needs the secret, not the server).
- job_child.py runs the scheduler's jobs in a child process, so that their memory leaves with it.
- demo.py runs a seeded demo port, the sandbox and the bot in one process, chatted in the terminal
  (demo_session.py follows the personas' chats, demo_commands.py reads what is typed, demo_screen.py prints
  and saves files, demo_jobs.py runs the scheduled jobs now).
- logs.py keeps secrets and personal data out of every log line; malloc_arenas.py caps glibc's arenas.
"""
