using OrderService;

// The service itself lives in OrderServiceApp so that tests and `shardkit demo` host exactly the same endpoints.
var app = OrderServiceApp.Build(args);
await app.RunAsync();
