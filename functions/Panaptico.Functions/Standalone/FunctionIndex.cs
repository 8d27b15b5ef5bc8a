using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Panaptico.Functions.Standalone;

public enum TriggerKind
{
    Http,
    Timer,
    Queue,
    Orchestration,
    Activity,
}

/// <summary>One <c>[Function]</c> method as the standalone host sees it: its trigger and the attribute that declares it.</summary>
public sealed record FunctionEntry(string Name, MethodInfo Method, TriggerKind Trigger, Attribute TriggerAttribute, ParameterInfo TriggerParameter)
{
    public HttpTriggerAttribute Http => (HttpTriggerAttribute)TriggerAttribute;
    public TimerTriggerAttribute Timer => (TimerTriggerAttribute)TriggerAttribute;
    public QueueTriggerAttribute Queue => (QueueTriggerAttribute)TriggerAttribute;

    /// <summary>What the method's task yields (<c>Task&lt;T&gt;</c> → T); <c>typeof(void)</c> for a plain Task.</summary>
    public Type ResultType
    {
        get
        {
            var type = Method.ReturnType;
            return type == typeof(Task) || type == typeof(ValueTask) || type == typeof(void) ? typeof(void)
                : type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
                    ? type.GetGenericArguments()[0]
                    : type;
        }
    }
}

/// <summary>
/// Every <c>[Function]</c> of the app, read from the same attributes the Functions SDK turns into
/// <c>functions.metadata</c>. Checked once at start: a function the standalone host could not run stops the app.
/// </summary>
public sealed class FunctionIndex
{
    private readonly Dictionary<string, FunctionEntry> _byName;

    private FunctionIndex(IEnumerable<FunctionEntry> functions) =>
        _byName = functions.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    public IEnumerable<FunctionEntry> All => _byName.Values;

    public IEnumerable<FunctionEntry> OfKind(TriggerKind kind) => _byName.Values.Where(f => f.Trigger == kind);

    public FunctionEntry? Find(string name) => _byName.GetValueOrDefault(name);

    public static FunctionIndex FromAssemblies(params Assembly[] assemblies) => FromTypes([.. assemblies.SelectMany(a => a.GetTypes())]);

    public static FunctionIndex FromTypes(params Type[] types)
    {
        var entries = new List<FunctionEntry>();
        foreach (var method in types.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }
            var triggers = method.GetParameters()
                .Select(p => (Parameter: p, Kind: Kind(p), Attribute: p.GetCustomAttributes().FirstOrDefault(a => Kind(a) is not null)))
                .Where(t => t.Kind is not null)
                .ToList();
            if (triggers.Count != 1)
            {
                throw new InvalidOperationException($"function '{function.Name}' ({method.DeclaringType?.Name}.{method.Name}) must have exactly one trigger parameter");
            }
            var (parameter, kind, attribute) = triggers[0];
            entries.Add(new FunctionEntry(function.Name, method, kind!.Value, attribute!, parameter));
        }
        var duplicate = entries.GroupBy(e => e.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"two functions are named '{duplicate.Key}'");
        }
        return new FunctionIndex(entries);
    }

    private static TriggerKind? Kind(ParameterInfo parameter) =>
        parameter.GetCustomAttributes().Select(Kind).FirstOrDefault(k => k is not null);

    private static TriggerKind? Kind(Attribute attribute) => attribute switch
    {
        HttpTriggerAttribute => TriggerKind.Http,
        TimerTriggerAttribute => TriggerKind.Timer,
        QueueTriggerAttribute => TriggerKind.Queue,
        OrchestrationTriggerAttribute => TriggerKind.Orchestration,
        ActivityTriggerAttribute => TriggerKind.Activity,
        _ => null,
    };
}
