// Placeholder: the shared-connection client is being written (issue 4).
