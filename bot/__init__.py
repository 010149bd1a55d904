"""delegasi: the host regency's delegation desk in a chat app."""
