"""Reading and writing: videos, audio, frame times, landmark files, the compact landmark store,
the landmark cache, the bundled sample clips, and the checks every input path goes through."""
