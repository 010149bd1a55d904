"""delegasi's shell: settings, wiring (app.py), the channels, rendering, the scheduler, the sender and the
command-line tools. The only layer that knows a chat platform; everything it runs lives below it."""
