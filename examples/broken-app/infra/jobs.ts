const vpcConfig = {
  securityGroups: ["sg-0a1b2c3d4e5f67890"],
  subnets: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
};

export const queue = new sst.aws.Queue("Notifications");
queue.subscribe({
  handler: "notifications/src/notifications/email.handler",
  runtime: "python3.11",
});

new sst.aws.Cron("WeeklyReport", {
  schedule: "cron(0 8 ? * MON *)",
  function: {
    handler: "reports/src/reports/weekly.handler",
    runtime: "python3.11",
  },
});

new sst.aws.Function("StripeWebhook", {
  handler: "ingest/src/ingest/stripe.handler",
  runtime: "python3.11",
  url: true,
  link: [queue],
});

new sst.aws.Function("Reconcile", {
  handler: "functions/src/functions/reconcile.handler",
  runtime: "python3.11",
  timeout: "5 minutes",
  vpc: {
    securityGroups: vpcConfig.securityGroups,
    subnets: vpcConfig.subnets,
  },
});

new sst.aws.Cron("NightlyExport", {
  schedule: "cron(0 2 * * ? *)",
  function: {
    handler: "exports/src/exports/orders_csv.handler",
    runtime: "python3.11",
  },
});

new sst.aws.Function("Status", {
  handler: "functions/src/functions/status.handler",
  runtime: "python3.11",
  url: true,
});
