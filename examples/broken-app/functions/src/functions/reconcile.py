import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    logger.info("reconciling payments against the ledger")
    return {"reconciled": 0}
