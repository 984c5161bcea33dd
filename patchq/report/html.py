def render(report):
    return "x"
