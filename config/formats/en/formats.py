from config.formats.common import *  # noqa: F403
