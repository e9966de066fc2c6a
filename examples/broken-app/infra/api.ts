export const api = new sst.aws.ApiGatewayV2("Api");

api.route("GET /", {
  handler: "functions/src/functions/api.handler",
  runtime: "python3.11",
});

api.route("GET /orders", {
  handler: "functions/functions/orders.handler",
  runtime: "python3.11",
});

api.route("POST /orders", {
  handler: "functions/src/functions/api.hander",
  runtime: "python3.11",
});

api.route("GET /invoices", {
  handler: "billing/src/billing_service/handlers/invoices.handler",
  runtime: "python3.11",
});

api.route("POST /refunds", {
  handler: "billing_service.src.billing_service.handlers.refunds.handler",
  runtime: "python3.11",
});
