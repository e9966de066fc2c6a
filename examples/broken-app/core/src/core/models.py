from decimal import Decimal

from pydantic import BaseModel


class Order(BaseModel):
    id: str
    customer_id: str
    total: Decimal
    status: str = "pending"
