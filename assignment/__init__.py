"""Instructor tools: release the students' version of the course and grade submissions."""
