# Runs at power-up. Everything lives in app.py; this file only starts it.
import asyncio
import app

asyncio.run(app.main())
