"""What the MongoDB adapters share: a document's type, and replacing one by ``_id``."""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]


async def put_by_id(collection: AsyncCollection[Document], doc_id: str, doc: Document) -> None:
    """Replace the document ``doc_id`` with ``doc``, inserting it if there is none.

    Writers that upsert an ``_id`` not there yet each try to insert it, and all but one
    get a duplicate key (mongod retries that by itself, FerretDB v1 does not). The
    document exists then, so the second try replaces it."""
    try:
        await collection.replace_one({"_id": doc_id}, doc, upsert=True)
    except DuplicateKeyError:
        await collection.replace_one({"_id": doc_id}, doc, upsert=True)
