/// <reference path="./.sst/platform/config.d.ts" />

export default $config({
  app(input) {
    return {
      name: "broken-app",
      removal: input?.stage === "production" ? "retain" : "remove",
      home: "aws",
    };
  },
  async run() {
    const pulumi = await import("@pulumi/pulumi");
    const { api } = await import("./infra/api");
    await import("./infra/jobs");

    // Health check, added in a hurry.
    const health = new sst.aws.Function("Health", {
      handler: "functions/src/functions/health.handler",
      url: true,
    });

    // Ported from the old Pulumi stack, never migrated to sst.aws.Function.
    const legacyRole = new aws.iam.Role("LegacyRole", {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Action: "sts:AssumeRole",
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
          },
        ],
      }),
    });
    const legacy = new aws.lambda.Function("LegacyExport", {
      role: legacyRole.arn,
      handler: "handler.lambda_handler",
      runtime: aws.lambda.Runtime.Python3d11,
      code: new pulumi.asset.FileArchive("./legacy/"),
      timeout: 60,
    });

    return {
      api: api.url,
      health: health.url,
      legacy: legacy.name,
    };
  },
});
