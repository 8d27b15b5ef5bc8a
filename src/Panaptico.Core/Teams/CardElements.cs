using System.Globalization;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Teams;

/// <summary>
/// The few Adaptive Card 1.5 elements our cards are made of, as JSON. Hand-written because the AdaptiveCards NuGet
/// package is not served here; the npm <c>adaptivecards</c> package checks every card we build (tests/cards).
/// </summary>
internal static class CardElements
{
    public const string Schema = "http://adaptivecards.io/schemas/adaptive-card.json";

    public const string Version = "1.5";

    public static JsonObject Card(IEnumerable<JsonNode?> body, IEnumerable<JsonNode?>? actions = null, JsonObject? refresh = null)
    {
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = Schema,
            ["version"] = Version,
        };
        if (refresh is not null)
        {
            card["refresh"] = refresh;
        }
        card["body"] = Array(body);
        if (actions is not null)
        {
            card["actions"] = Array(actions);
        }
        return card;
    }

    /// <summary>A card inside an <c>Action.ShowCard</c>: no schema or version of its own.</summary>
    public static JsonObject InnerCard(IEnumerable<JsonNode?> body, IEnumerable<JsonNode?> actions) => new()
    {
        ["type"] = "AdaptiveCard",
        ["body"] = Array(body),
        ["actions"] = Array(actions),
    };

    /// <param name="size">Small, Default, Medium, Large, ExtraLarge.</param>
    /// <param name="color">Default, Dark, Light, Accent, Good, Warning, Attention.</param>
    public static JsonObject Text(string text, string? weight = null, string? size = null, string? color = null, bool subtle = false, bool monospace = false, string? spacing = null)
    {
        var block = new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };
        if (weight is not null)
        {
            block["weight"] = weight;
        }
        if (size is not null)
        {
            block["size"] = size;
        }
        if (color is not null)
        {
            block["color"] = color;
        }
        if (subtle)
        {
            block["isSubtle"] = true;
        }
        if (monospace)
        {
            block["fontType"] = "Monospace";
        }
        if (spacing is not null)
        {
            block["spacing"] = spacing;
        }
        return block;
    }

    public static JsonObject Heading(string text) => Text(text, weight: "Bolder", size: "Medium");

    /// <summary>A section title: bold, separated from what is above.</summary>
    public static JsonObject Section(string title)
    {
        var block = Text(title, weight: "Bolder");
        block["separator"] = true;
        block["spacing"] = "Medium";
        return block;
    }

    public static JsonObject Facts(IEnumerable<(string Title, string Value)> facts) => new()
    {
        ["type"] = "FactSet",
        ["facts"] = Array(facts.Select(f => (JsonNode)new JsonObject { ["title"] = f.Title, ["value"] = f.Value })),
    };

    /// <param name="style">default, emphasis, good, attention, warning, accent.</param>
    public static JsonObject Container(IEnumerable<JsonNode?> items, string? style = null)
    {
        var container = new JsonObject { ["type"] = "Container", ["items"] = Array(items) };
        if (style is not null)
        {
            container["style"] = style;
        }
        return container;
    }

    /// <param name="style">positive, destructive or null (default).</param>
    public static JsonObject Execute(string title, string verb, JsonObject data, string? style = null, bool sendsInputs = false)
    {
        var action = new JsonObject { ["type"] = "Action.Execute", ["title"] = title, ["verb"] = verb };
        if (style is not null)
        {
            action["style"] = style;
        }
        // "none": a one-tap action sends no inputs (and validates none); "auto": the inputs of its own card.
        action["associatedInputs"] = sendsInputs ? "auto" : "none";
        action["data"] = data;
        return action;
    }

    public static JsonObject ShowCard(string title, JsonObject card) => new()
    {
        ["type"] = "Action.ShowCard",
        ["title"] = title,
        ["card"] = card,
    };

    /// <summary>A required multiline text input with its label and the message shown when it is left empty.</summary>
    public static JsonObject RequiredText(string id, string label, string errorMessage, string placeholder, int maxLength) => new()
    {
        ["type"] = "Input.Text",
        ["id"] = id,
        ["label"] = label,
        ["placeholder"] = placeholder,
        ["isMultiline"] = true,
        ["isRequired"] = true,
        ["errorMessage"] = errorMessage,
        ["maxLength"] = maxLength,
    };

    public static JsonObject Refresh(string verb, JsonObject data, IEnumerable<string> userIds) => new()
    {
        ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = verb, ["data"] = data },
        ["userIds"] = Array(userIds.Select(u => (JsonNode)JsonValue.Create(u))),
    };

    /// <summary>A minute in UTC as people read it on a card: <c>2026-04-15 04:12 UTC</c>.</summary>
    public static string Minute(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A second in UTC: <c>2026-04-15 03:14:02 UTC</c>.</summary>
    public static string Second(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static JsonArray Array(IEnumerable<JsonNode?> nodes) => new([.. nodes.Where(n => n is not null)]);
}
