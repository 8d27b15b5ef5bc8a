using Panaptico.Functions;

await FunctionApp.Build(args).RunAsync();

/// <summary>Lets functional tests host the app.</summary>
public partial class Program;
