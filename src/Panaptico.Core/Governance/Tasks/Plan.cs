using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Identity;
using Panaptico.Core.Limits;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>A rollout plan (PLAN-0491): ordered waves, each holding tasks that name it.</summary>
public sealed record Plan(string Id, string Title, string OwnerId, ImmutableArray<Wave> Waves, DateTimeOffset CreatedAt)
{
    public Wave? FindWave(string waveId) => Waves.FirstOrDefault(w => w.Id == waveId);

    public static Decision<Plan> Create(string id, string title, IReadOnlyList<Wave> waves, Principal by, DateTimeOffset now)
    {
        if (!by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators create plans");
        }

        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(title))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a plan needs an id and a title");
        }

        if (TextLimits.TooLong("title", title, TextLimits.Title) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        if (waves.Count == 0)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"plan {id} needs at least one wave");
        }

        var duplicate = waves.GroupBy(w => w.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"plan {id}: wave '{duplicate.Key}' appears twice");
        }

        var plan = new Plan(id, title, by.Id, [.. waves.OrderBy(w => w.Number)], now);
        var entry = GovernanceLedger.Entry("plan.created", id, by.Id, $"plan '{title}' created", now, new JsonObject
        {
            ["waves"] = GovernanceLedger.Array(plan.Waves.Select(w => w.Id)),
        });
        return Decision.Accept(plan, [entry]);
    }
}

public sealed record Wave(string Id, int Number, string Title);
