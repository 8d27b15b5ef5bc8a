using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Panaptico.Functions.Standalone;

/// <summary>
/// Calls a <c>[Function]</c> method the way the isolated worker would: an instance of its class from the services of
/// the invocation's scope, the trigger value in the trigger parameter, route values by name, the cancellation token,
/// and the <see cref="DurableTaskClient"/> for <c>[DurableClient]</c>.
/// </summary>
public static class FunctionRunner
{
    public static async Task<object?> InvokeAsync(
        FunctionEntry function, IServiceProvider services, object? trigger, CancellationToken cancellationToken,
        Func<string, string?>? namedValue = null)
    {
        var method = function.Method;
        var instance = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        var arguments = method.GetParameters().Select(p => Bind(p)).ToArray();
        try
        {
            var returned = method.Invoke(instance, arguments);
            return await UnwrapAsync(returned);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        finally
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        object? Bind(ParameterInfo parameter)
        {
            if (parameter.Position == function.TriggerParameter.Position)
            {
                return trigger;
            }
            if (parameter.ParameterType == typeof(CancellationToken))
            {
                return cancellationToken;
            }
            if (parameter.GetCustomAttribute<DurableClientAttribute>() is not null)
            {
                return services.GetRequiredService<DurableTaskClient>();
            }
            if (parameter.ParameterType == typeof(string) && namedValue is not null)
            {
                return namedValue(parameter.Name!);
            }
            throw new InvalidOperationException($"function '{function.Name}': the standalone host cannot bind parameter '{parameter.Name}'");
        }
    }

    private static async Task<object?> UnwrapAsync(object? returned)
    {
        switch (returned)
        {
            case Task task:
                await task;
                var type = task.GetType();
                return type.IsGenericType && type.GetGenericArguments()[0].Name != "VoidTaskResult"
                    ? type.GetProperty(nameof(Task<object>.Result))!.GetValue(task)
                    : null;
            case ValueTask valueTask:
                await valueTask;
                return null;
            default:
                return returned;
        }
    }
}
