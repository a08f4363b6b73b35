// filled in by its page
