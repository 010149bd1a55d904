"""Every rule and state change of the desk, one module per noun; imports storage and libraries, nothing above."""
