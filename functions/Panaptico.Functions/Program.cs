using Panaptico.Functions;

if (FunctionApp.UnderFunctionsHost(args))
{
    await FunctionApp.BuildForFunctionsHost(args).RunAsync();
}
else
{
    await FunctionApp.BuildStandalone(args).RunAsync();
}

/// <summary>Lets functional tests host the app.</summary>
public partial class Program;
