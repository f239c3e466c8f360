using Ingress.Gateway.Hosting;

return await GatewayApplication.RunAsync(args);
