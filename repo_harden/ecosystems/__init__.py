"""Package managers: their manifests and lockfiles, and how each judges that one covers and
agrees with the other."""
