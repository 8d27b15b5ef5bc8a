using System.Text.RegularExpressions;

namespace Panaptico.Infra.Tests.Support;

public enum ReadKind
{
    /// <summary>One value: <c>configuration["X"]</c>, <c>GetValue&lt;T&gt;("X")</c>, an environment variable.</summary>
    Value,

    /// <summary>A section read whole: <c>GetSection("X").Get&lt;T&gt;()</c>, its children, an options class bound to it.</summary>
    Section,

    /// <summary><c>%X%</c> in a trigger attribute: the Functions host resolves it from app settings, not the worker.</summary>
    HostBinding,
}

public sealed record SettingRead(SettingName Name, ReadKind Kind, string Where)
{
    public override string ToString() => $"{Name} ({Kind}, {Where})";
}

public sealed record SourceFile(string Path, string Text);

/// <summary>
/// The settings C# code reads, found in its text (this project references no project of ours, so it reads the code
/// as it is, built or not). It understands the forms the app uses:
/// <list type="bullet">
/// <item><c>configuration["A:B"]</c>, <c>GetValue&lt;T&gt;("A:B")</c>, <c>GetConnectionString("A")</c>,
/// <c>Environment.GetEnvironmentVariable("A__B")</c>, with keys as literals, constants (<c>Type.Name</c> too),
/// interpolations (an unknown part becomes <c>*</c>) or <c>nameof</c>;</item>
/// <item>sections: <c>var s = configuration.GetSection("A")</c> then <c>s["B"]</c> is <c>A:B</c>, also through
/// <c>GetChildren()</c> into a lambda or <c>foreach</c> variable (<c>A:*:B</c>); a method parameter takes the section
/// of the variable of the same name before it in the file;</item>
/// <item>options: a type with <c>const string Section</c> (or <c>SectionName</c>), and <c>AddOptions&lt;T&gt;()</c>
/// bound with <c>BindConfiguration</c>/<c>Bind</c>, or <c>Configure&lt;T&gt;(section)</c>: each public settable
/// property is a key under the section;</item>
/// <item><c>%X%</c> in string literals (trigger attributes);</item>
/// <item>helpers: a method that reads <c>configuration[param]</c> reads, at each call, the key its caller passes.</item>
/// </list>
/// A read through a variable typed <c>IConfigurationSection</c> whose section it cannot tell is reported in
/// <see cref="Unresolved"/> rather than skipped.
/// </summary>
public sealed partial class SettingsInCode
{
    private static readonly string[] RootTypes = ["IConfiguration", "IConfigurationRoot", "IConfigurationManager", "ConfigurationManager"];
    private static readonly HashSet<string> NotMethods = ["if", "for", "foreach", "while", "switch", "using", "lock", "catch", "return", "new", "nameof", "typeof", "when", "fixed"];

    private readonly List<Scanned> _files;
    private readonly List<ConstDeclaration> _constants = [];
    private readonly List<SettingRead> _reads = [];
    private readonly List<string> _unresolved = [];
    private readonly HashSet<Helper> _helpers = [];

    private SettingsInCode(IEnumerable<SourceFile> files)
    {
        _files = [.. files.Select(f => new Scanned(f.Path, StripComments(f.Text)))];
        foreach (var file in _files)
        {
            CollectConstants(file);
        }
        foreach (var file in _files.Where(f => f.Path.EndsWith(".cs", StringComparison.Ordinal)))
        {
            ScanReads(file);
            ScanOptions(file);
            ScanBindings(file);
        }
        foreach (var file in _files.Where(f => f.Path.EndsWith(".cs", StringComparison.Ordinal)))
        {
            ScanHelperCalls(file);
        }
    }

    public IReadOnlyList<SettingRead> Reads => _reads;

    /// <summary>Reads through a configuration section the scanner could not place: name the variable after its section.</summary>
    public IReadOnlyList<string> Unresolved => _unresolved;

    public static SettingsInCode Of(IEnumerable<SourceFile> files) => new(files);

    /// <summary>The C# of a project and every project it references, transitively (bin/ and obj/ left out).</summary>
    public static SettingsInCode OfProject(string csproj, string displayRoot)
    {
        var projects = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(csproj)]);
        while (pending.TryPop(out var project))
        {
            if (!projects.Add(project))
            {
                continue;
            }
            foreach (Match reference in ProjectReference().Matches(File.ReadAllText(project)))
            {
                var relative = reference.Groups["path"].Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, relative)));
            }
        }
        var files = projects.SelectMany(p => Directory.EnumerateFiles(Path.GetDirectoryName(p)!, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(f => new SourceFile(Path.GetRelativePath(displayRoot, f), File.ReadAllText(f)));
        return new SettingsInCode(files);
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    private void ScanReads(Scanned file)
    {
        var text = file.Text;
        foreach (Match call in ConfigurationCall().Matches(text))
        {
            var open = call.Index + call.Length - 1;
            var close = MatchingClose(text, open);
            if (close < 0)
            {
                continue;
            }
            var arguments = SplitArguments(text[(open + 1)..close]);
            if (arguments.Count == 0)
            {
                continue; // JsonNode.GetValue<T>() and the like
            }
            var receiver = ReceiverBefore(text, call.Index);
            var op = call.Groups["op"].Value;
            if (op == "GetEnvironmentVariable")
            {
                if (receiver == "Environment" && Evaluate(file, arguments[0], call.Index) is { } variable)
                {
                    Add(variable, ReadKind.Value, file, call.Index);
                }
                continue;
            }
            if (Receiver(file, receiver, call.Index) is not { } section)
            {
                continue;
            }
            // GetValue(typeof(T), "key") names the key second.
            var keyArgument = op == "GetValue" && arguments[0].TrimStart().StartsWith("typeof", StringComparison.Ordinal) && arguments.Count > 1
                ? arguments[1]
                : arguments[0];
            if (Evaluate(file, keyArgument, call.Index) is not { } key)
            {
                NoteHelper(file, receiver, section, keyArgument, call.Index);
                continue;
            }
            switch (op)
            {
                case "GetConnectionString":
                    Add(Join(section, "ConnectionStrings:" + key), ReadKind.Value, file, call.Index);
                    break;
                case "GetValue":
                    Add(Join(section, key), ReadKind.Value, file, call.Index);
                    break;
                default: // GetSection / GetRequiredSection
                    if (IsWholeSectionUse(text, close))
                    {
                        Add(Join(section, key), ReadKind.Section, file, call.Index);
                    }
                    break;
            }
        }

        foreach (Match access in ElementAccess().Matches(text))
        {
            var open = access.Index + access.Length - 1;
            var close = MatchingClose(text, open);
            if (close < 0)
            {
                continue;
            }
            var receiver = ReceiverBefore(text, access.Index);
            if (receiver.Length == 0 || Receiver(file, receiver, access.Index) is not { } section)
            {
                continue;
            }
            var argument = text[(open + 1)..close];
            if (Evaluate(file, argument, access.Index) is { } key)
            {
                Add(Join(section, key), ReadKind.Value, file, access.Index);
            }
            else
            {
                NoteHelper(file, receiver, section, argument, access.Index);
            }
        }
    }

    /// <summary>A <c>GetSection</c> the code uses as a whole (not a step towards a key, not a variable holding it).</summary>
    private static bool IsWholeSectionUse(string text, int close)
    {
        var after = text[(close + 1)..].TrimStart();
        if (after.StartsWith('?'))
        {
            after = after[1..];
        }
        if (after.StartsWith('[') || SectionStep().IsMatch(after))
        {
            return false;
        }
        if (after.StartsWith(".GetChildren", StringComparison.Ordinal))
        {
            return true;
        }
        // `var x = c.GetSection("A");` holds the section: its reads are found through x.
        var statement = text[(text.LastIndexOfAny([';', '{', '}'], close) + 1)..close];
        return !after.StartsWith(';') || !Assignment().IsMatch(statement);
    }

    /// <summary>
    /// A method that reads <c>config[param]</c> reads, at every call, the key its caller passes for param, in the
    /// configuration its caller passes (when <c>config</c> is a parameter too; else where <c>config</c> points).
    /// </summary>
    private void NoteHelper(Scanned file, string receiver, string receiverPath, string argument, int position)
    {
        var name = argument.Trim();
        if (!Identifier().IsMatch(name))
        {
            return;
        }
        foreach (var declaration in MethodDeclaration().Matches(file.Text[..position]).Reverse())
        {
            if (NotMethods.Contains(declaration.Groups["name"].Value))
            {
                continue;
            }
            var parameters = SplitArguments(declaration.Groups["params"].Value).Select(p => LastIdentifier(p.Split('=')[0])).ToList();
            var keyIndex = parameters.IndexOf(name);
            if (keyIndex >= 0)
            {
                var extension = declaration.Groups["params"].Value.TrimStart().StartsWith("this ", StringComparison.Ordinal);
                var receiverIndex = parameters.IndexOf(receiver.Trim());
                _helpers.Add(new Helper(declaration.Groups["name"].Value, keyIndex, receiverIndex, extension, receiverIndex < 0 ? receiverPath : null));
                return;
            }
        }
    }

    private void ScanHelperCalls(Scanned file)
    {
        foreach (var helper in _helpers)
        {
            foreach (Match call in Regex.Matches(file.Text, $@"(?<dot>\.\s*)?\b{Regex.Escape(helper.Method)}\s*\("))
            {
                var open = call.Index + call.Length - 1;
                var close = MatchingClose(file.Text, open);
                if (close < 0 || IsDeclaration(file.Text, call.Index))
                {
                    continue;
                }
                // The helper's parameters as this call fills them: an extension's `this` is the receiver of a member call.
                var arguments = SplitArguments(file.Text[(open + 1)..close]);
                if (helper.Extension && call.Groups["dot"].Success)
                {
                    arguments.Insert(0, ReceiverBefore(file.Text, call.Index));
                }
                string? Argument(int index) => index >= 0 && index < arguments.Count ? arguments[index] : null;
                var path = helper.ReceiverIndex < 0 ? helper.FixedPath
                    : Argument(helper.ReceiverIndex) is { } passed ? Receiver(file, passed, call.Index)
                    : null;
                if (path is not null && Argument(helper.KeyIndex) is { } keyArgument && Evaluate(file, keyArgument, call.Index) is { } key)
                {
                    Add(Join(path, key), ReadKind.Value, file, call.Index);
                }
            }
        }
    }

    private static bool IsDeclaration(string text, int position)
    {
        var lineStart = text.LastIndexOf('\n', Math.Max(0, position - 1)) + 1;
        var before = text[lineStart..position];
        return before.Contains("static ", StringComparison.Ordinal) || before.Contains("void ", StringComparison.Ordinal)
            || TypeBeforeName().IsMatch(before);
    }

    // ---- options ----------------------------------------------------------------------------------------------

    private void ScanOptions(Scanned file)
    {
        foreach (var constant in _constants.Where(c => c.File == file && c.Name is "Section" or "SectionName" or "ConfigurationSection"))
        {
            if (Evaluate(file, constant.Expression, constant.Position) is { } section)
            {
                AddProperties(constant.Type, section, file, constant.Position);
            }
        }
        foreach (Match options in AddOptions().Matches(file.Text))
        {
            var type = options.Groups["type"].Value;
            var statementEnd = file.Text.IndexOf(';', options.Index);
            var statement = file.Text[options.Index..(statementEnd < 0 ? file.Text.Length : statementEnd)];
            var bind = BindCall().Match(statement);
            if (!bind.Success)
            {
                continue;
            }
            var open = options.Index + bind.Index + bind.Length - 1;
            var close = MatchingClose(file.Text, open);
            if (close < 0)
            {
                continue;
            }
            var argument = file.Text[(open + 1)..close];
            var section = bind.Groups["op"].Value == "BindConfiguration"
                ? Evaluate(file, argument, options.Index)
                : Receiver(file, argument, options.Index);
            if (section is not null)
            {
                AddProperties(type, section, file, options.Index);
            }
        }
        foreach (Match configure in ConfigureOptions().Matches(file.Text))
        {
            var open = configure.Index + configure.Length - 1;
            var close = MatchingClose(file.Text, open);
            if (close > 0 && Receiver(file, file.Text[(open + 1)..close], configure.Index) is { } section)
            {
                AddProperties(configure.Groups["type"].Value, section, file, configure.Index);
            }
        }
    }

    private void AddProperties(string type, string section, Scanned usedIn, int position)
    {
        foreach (var file in _files)
        {
            foreach (Match declaration in Regex.Matches(file.Text, $@"\b(?:class|record|struct)\s+{Regex.Escape(type)}\b(?<primary>\s*\((?<params>[^)]*)\))?"))
            {
                if (declaration.Groups["primary"].Success)
                {
                    foreach (var parameter in SplitArguments(declaration.Groups["params"].Value))
                    {
                        Add(Join(section, LastIdentifier(parameter.Split('=')[0])), ReadKind.Section, usedIn, position);
                    }
                }
                var open = file.Text.IndexOf('{', declaration.Index);
                var semicolon = file.Text.IndexOf(';', declaration.Index);
                if (open < 0 || (semicolon >= 0 && semicolon < open))
                {
                    continue;
                }
                var body = file.Text[open..(MatchingClose(file.Text, open) + 1)];
                foreach (Match property in SettableProperty().Matches(body))
                {
                    Add(Join(section, property.Groups["name"].Value), ReadKind.Section, usedIn, position);
                }
            }
        }
    }

    // ---- %Setting% --------------------------------------------------------------------------------------------

    private void ScanBindings(Scanned file)
    {
        foreach (Match literal in StringLiteral().Matches(file.Text))
        {
            var content = literal.Groups["content"].Value;
            var interpolated = literal.Groups["dollar"].Success;
            foreach (Match binding in Binding().Matches(content))
            {
                var name = binding.Groups["name"].Success ? binding.Groups["name"].Value
                    : interpolated ? Evaluate(file, binding.Groups["expression"].Value, literal.Index)
                    : null;
                if (name is not null)
                {
                    Add(name, ReadKind.HostBinding, file, literal.Index);
                }
            }
        }
    }

    // ---- receivers --------------------------------------------------------------------------------------------

    /// <summary>The configuration path a receiver expression stands for ("" for the root), or null if it is not configuration.</summary>
    private string? Receiver(Scanned file, string expression, int position) =>
        Locate(file, expression, position, 0) is { Children: false } place ? place.Path : null;

    private Place? Locate(Scanned file, string expression, int position, int depth)
    {
        var expr = expression.Trim().TrimEnd('!', '?').Trim();
        if (depth > 12 || expr.Length == 0)
        {
            return null;
        }
        if (LastCall(expr) is { } call)
        {
            switch (call.Name)
            {
                case "GetSection" or "GetRequiredSection":
                    var parent = Locate(file, call.Receiver, position, depth + 1);
                    var arguments = SplitArguments(call.Arguments);
                    return parent is { Children: false } && arguments.Count > 0 && Evaluate(file, arguments[0], position) is { } key
                        ? new Place(Join(parent.Path, key), false)
                        : null;
                case "GetChildren":
                    return Locate(file, call.Receiver, position, depth + 1) is { Children: false } section ? section with { Children = true } : null;
                case "ToList" or "ToArray" or "Where" or "OrderBy" or "AsEnumerable":
                    return Locate(file, call.Receiver, position, depth + 1) is { Children: true } children ? children : null;
                case "GetRequiredService" or "GetService" when RootTypes.Any(t => call.Generic == t):
                    return new Place("", false);
                default:
                    return null;
            }
        }
        if (!IdentifierChain().IsMatch(expr))
        {
            return null;
        }
        var last = expr[(expr.LastIndexOf('.') + 1)..];
        if (last == "Configuration" || file.RootNames.Contains(last))
        {
            return new Place("", false);
        }
        return expr.Contains('.', StringComparison.Ordinal) ? null : Variable(file, expr, position, depth);
    }

    /// <summary>
    /// A variable's section: from its assignment, or the collection a lambda or foreach takes it from; the nearest
    /// before the use (a method parameter takes the section of the variable of the same name before it).
    /// </summary>
    private Place? Variable(Scanned file, string name, int position, int depth)
    {
        var text = file.Text;
        var candidates = new List<(int At, Func<Place?> Resolve)>();
        foreach (Match assignment in Regex.Matches(text, $@"(?<![\w.])(?:var\s+|IConfigurationSection\??\s+)?{Regex.Escape(name)}\s*=(?![=>])"))
        {
            var start = assignment.Index + assignment.Length;
            var end = ExpressionEnd(text, start);
            var rhs = text[start..end];
            candidates.Add((assignment.Index, () => Locate(file, rhs, assignment.Index, depth + 1)));
        }
        foreach (Match loop in Regex.Matches(text, $@"\bforeach\s*\(\s*[\w.<>?]+\s+{Regex.Escape(name)}\s+in\s+"))
        {
            var open = text.LastIndexOf('(', loop.Index + loop.Length - 1);
            var close = MatchingClose(text, open);
            var collection = text[(loop.Index + loop.Length)..close];
            candidates.Add((loop.Index, () => Element(file, collection, loop.Index, depth)));
        }
        foreach (Match lambda in Regex.Matches(text, $@"\.\s*\w+\s*\(\s*\(?\s*{Regex.Escape(name)}\s*\)?\s*=>"))
        {
            var collection = ReceiverBefore(text, lambda.Index);
            candidates.Add((lambda.Index, () => Element(file, collection, lambda.Index, depth)));
        }
        if (candidates.Count == 0)
        {
            if (SectionDeclaration(name).IsMatch(text))
            {
                _unresolved.Add($"{file.Path}:{file.Line(position)}: cannot tell which section `{name}` is");
            }
            return null;
        }
        var chosen = candidates.Where(c => c.At < position).OrderByDescending(c => c.At).Select(c => c.Resolve).FirstOrDefault()
            ?? candidates.OrderBy(c => c.At).First().Resolve;
        var place = chosen();
        if (place is null && SectionDeclaration(name).IsMatch(text))
        {
            _unresolved.Add($"{file.Path}:{file.Line(position)}: cannot tell which section `{name}` is");
        }
        return place;
    }

    private Place? Element(Scanned file, string collection, int position, int depth) =>
        Locate(file, collection, position, depth + 1) is { Children: true } children ? new Place(Join(children.Path, "*"), false) : null;

    // ---- constants and expressions ----------------------------------------------------------------------------

    private void CollectConstants(Scanned file)
    {
        foreach (Match constant in ConstString().Matches(file.Text))
        {
            _constants.Add(new ConstDeclaration(file, TypeAt(file.Text, constant.Index), constant.Groups["name"].Value,
                constant.Groups["value"].Value, constant.Index));
        }
    }

    /// <summary>The string an expression evaluates to at compile time; unknown interpolation holes become <c>*</c>.</summary>
    private string? Evaluate(Scanned file, string expression, int position, int depth = 0)
    {
        var expr = expression.Trim();
        if (depth > 12 || expr.Length == 0)
        {
            return null;
        }
        var parts = SplitTopLevel(expr, '+');
        if (parts.Count > 1)
        {
            var values = parts.Select(p => Evaluate(file, p, position, depth + 1)).ToList();
            return values.All(v => v is not null) ? string.Concat(values) : null;
        }
        if (expr.StartsWith("$\"", StringComparison.Ordinal) && expr.EndsWith('"'))
        {
            return Hole().Replace(Unescape(expr[2..^1]), hole =>
                Evaluate(file, hole.Groups["expression"].Value.Split(':')[0], position, depth + 1) ?? "*");
        }
        if (expr.StartsWith("@\"", StringComparison.Ordinal) && expr.EndsWith('"'))
        {
            return expr[2..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
        }
        if (expr.StartsWith('"') && expr.EndsWith('"') && expr.Length >= 2)
        {
            return Unescape(expr[1..^1]);
        }
        if (NameOf().Match(expr) is { Success: true } nameOf)
        {
            return LastIdentifier(nameOf.Groups["name"].Value);
        }
        return IdentifierChain().IsMatch(expr) ? Constant(file, expr, position, depth) : null;
    }

    private string? Constant(Scanned file, string reference, int position, int depth)
    {
        var dot = reference.LastIndexOf('.');
        var name = reference[(dot + 1)..];
        var matches = _constants.Where(c => c.Name == name).ToList();
        ConstDeclaration? chosen;
        if (dot >= 0)
        {
            var type = LastIdentifier(reference[..dot]);
            chosen = matches.FirstOrDefault(c => c.Type == type);
        }
        else
        {
            var type = TypeAt(file.Text, position);
            var local = matches.Where(c => c.File == file).ToList();
            chosen = local.FirstOrDefault(c => c.Type == type) ?? local.FirstOrDefault()
                ?? (matches.Select(c => c.Expression).Distinct().Count() == 1 ? matches[0] : null);
        }
        return chosen is null ? null : Evaluate(chosen.File, chosen.Expression, chosen.Position, depth + 1);
    }

    // ---- text helpers -----------------------------------------------------------------------------------------

    private void Add(string key, ReadKind kind, Scanned file, int position) =>
        _reads.Add(new SettingRead(SettingName.Parse(key), kind, $"{file.Path}:{file.Line(position)}"));

    private static string Join(string section, string key) => section.Length == 0 ? key : $"{section}:{key}";

    private static string TypeAt(string text, int position) =>
        TypeDeclaration().Matches(text[..position]).LastOrDefault()?.Groups["name"].Value ?? "";

    private static string LastIdentifier(string text) =>
        Regex.Match(text.Trim(), @"(?<name>[A-Za-z_]\w*)\s*$").Groups["name"].Value;

    /// <summary>Comments become spaces (line numbers stay), so text in them is never read as code.</summary>
    private static string StripComments(string text)
    {
        var chars = text.ToCharArray();
        var i = 0;
        while (i < chars.Length)
        {
            var next = i + 1 < chars.Length ? chars[i + 1] : '\0';
            if (chars[i] == '/' && next is '/' or '*')
            {
                var end = next == '/' ? text.IndexOf('\n', i) : text.IndexOf("*/", i + 2, StringComparison.Ordinal) + 2;
                end = end <= 1 ? chars.Length : end;
                for (; i < end && i < chars.Length; i++)
                {
                    if (chars[i] != '\n')
                    {
                        chars[i] = ' ';
                    }
                }
                continue;
            }
            i = chars[i] switch
            {
                '"' => StringEnd(text, i) + 1,
                '\'' => CharEnd(text, i) + 1,
                _ => i + 1,
            };
        }
        return new string(chars);
    }

    private static int CharEnd(string text, int quote)
    {
        var i = quote + 1;
        if (i < text.Length && text[i] == '\\')
        {
            i++;
        }
        var end = text.IndexOf('\'', i + 1);
        return end < 0 || end - quote > 10 ? quote : end; // not a char literal after all: move on by one
    }

    private static string Unescape(string content) => content.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    /// <summary>The expression (identifier chain or call chain) that ends just before <paramref name="end"/>.</summary>
    private static string ReceiverBefore(string text, int end)
    {
        var i = end - 1;
        while (i >= 0 && text[i] is '?' or '!' or ' ')
        {
            i--;
        }
        var stop = i;
        while (i >= 0)
        {
            if (text[i] is ')' or ']')
            {
                var open = MatchingOpen(text, i);
                if (open < 0)
                {
                    break;
                }
                i = open - 1;
                continue;
            }
            if (text[i] == '>' && i > 0)
            {
                var open = MatchingOpen(text, i);
                if (open < 0)
                {
                    break;
                }
                i = open - 1;
                continue;
            }
            if (char.IsLetterOrDigit(text[i]) || text[i] == '_')
            {
                while (i >= 0 && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i--;
                }
                var j = i;
                while (j >= 0 && text[j] is '?' or '!')
                {
                    j--;
                }
                if (j >= 0 && text[j] == '.')
                {
                    i = j - 1;
                    while (i >= 0 && text[i] is '?' or '!')
                    {
                        i--;
                    }
                    continue;
                }
                break;
            }
            break;
        }
        return text[(i + 1)..(stop + 1)];
    }

    /// <summary>An expression's last call: <c>receiver.Name&lt;Generic&gt;(arguments)</c>.</summary>
    private static Call? LastCall(string expr)
    {
        if (!expr.EndsWith(')'))
        {
            return null;
        }
        var open = MatchingOpen(expr, expr.Length - 1);
        if (open <= 0)
        {
            return null;
        }
        var i = open - 1;
        var generic = "";
        if (expr[i] == '>')
        {
            var genericOpen = MatchingOpen(expr, i);
            if (genericOpen < 0)
            {
                return null;
            }
            generic = expr[(genericOpen + 1)..i].Trim();
            i = genericOpen - 1;
        }
        var nameEnd = i + 1;
        while (i >= 0 && (char.IsLetterOrDigit(expr[i]) || expr[i] == '_'))
        {
            i--;
        }
        var name = expr[(i + 1)..nameEnd];
        var receiverEnd = i;
        while (receiverEnd >= 0 && expr[receiverEnd] is '?' or '!' or ' ')
        {
            receiverEnd--;
        }
        if (name.Length == 0 || receiverEnd < 0 || expr[receiverEnd] != '.')
        {
            return null;
        }
        return new Call(expr[..receiverEnd], name, generic, expr[(open + 1)..^1]);
    }

    private static int MatchingClose(string text, int open)
    {
        var (opening, closing) = text[open] switch { '(' => ('(', ')'), '[' => ('[', ']'), '{' => ('{', '}'), _ => ('<', '>') };
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                i = StringEnd(text, i);
                continue;
            }
            if (text[i] == opening)
            {
                depth++;
            }
            else if (text[i] == closing && --depth == 0)
            {
                return i;
            }
        }
        return -1;
    }

    private static int MatchingOpen(string text, int close)
    {
        var (opening, closing) = text[close] switch { ')' => ('(', ')'), ']' => ('[', ']'), '}' => ('{', '}'), _ => ('<', '>') };
        var depth = 0;
        for (var i = close; i >= 0; i--)
        {
            if (text[i] == closing)
            {
                depth++;
            }
            else if (text[i] == opening && --depth == 0)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// Index of the last quote of the string literal that opens at <paramref name="quote"/>: regular, verbatim
    /// (<c>@</c>), interpolated (<c>$</c>, holes may hold strings of their own) or raw (<c>"""</c>).
    /// </summary>
    private static int StringEnd(string text, int quote)
    {
        var quotes = 0;
        while (quote + quotes < text.Length && text[quote + quotes] == '"')
        {
            quotes++;
        }
        if (quotes >= 3)
        {
            var close = text.IndexOf(new string('"', quotes), quote + quotes, StringComparison.Ordinal);
            return close < 0 ? text.Length - 1 : close + quotes - 1;
        }
        var prefix = text[Math.Max(0, quote - 2)..quote];
        var verbatim = prefix.EndsWith('@') || prefix == "@$";
        var interpolated = prefix.EndsWith('$') || prefix == "$@";
        for (var i = quote + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && !verbatim)
            {
                i++;
            }
            else if (c == '{' && interpolated)
            {
                if (i + 1 < text.Length && text[i + 1] == '{')
                {
                    i++;
                    continue;
                }
                var depth = 1;
                for (i++; i < text.Length && depth > 0; i++)
                {
                    switch (text[i])
                    {
                        case '"':
                            i = StringEnd(text, i);
                            break;
                        case '{':
                            depth++;
                            break;
                        case '}':
                            depth--;
                            break;
                    }
                }
                i--;
            }
            else if (c == '"')
            {
                if (verbatim && i + 1 < text.Length && text[i + 1] == '"')
                {
                    i++;
                    continue;
                }
                return i;
            }
        }
        return text.Length - 1;
    }

    /// <summary>Where the expression starting at <paramref name="start"/> ends: a ';' or an unmatched ',', ')' or '}'.</summary>
    private static int ExpressionEnd(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '"':
                    i = StringEnd(text, i);
                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    if (depth-- == 0)
                    {
                        return i;
                    }
                    break;
                case ';':
                    return i;
                case ',' when depth == 0:
                    return i;
            }
        }
        return text.Length;
    }

    private static List<string> SplitArguments(string arguments) =>
        [.. SplitTopLevel(arguments, ',').Where(a => a.Trim().Length > 0)];

    /// <summary>
    /// Splits on <paramref name="separator"/> outside brackets, strings and type arguments (a <c>&lt;</c> right after
    /// a name opens type arguments; <c>=&gt;</c> and comparisons do not count).
    /// </summary>
    private static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var angles = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"':
                    i = StringEnd(text, i);
                    continue;
                case '(' or '[' or '{':
                    depth++;
                    continue;
                case ')' or ']' or '}':
                    depth--;
                    continue;
                case '<' when i > 0 && (char.IsLetterOrDigit(text[i - 1]) || text[i - 1] == '_') && i + 1 < text.Length && text[i + 1] != '=':
                    angles++;
                    continue;
                case '>' when angles > 0 && text[i - 1] is not '=' and not '-':
                    angles--;
                    continue;
            }
            if (c == separator && depth == 0 && angles == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    private sealed class Scanned(string path, string text)
    {
        private int[]? _lineStarts;

        public string Path { get; } = path;
        public string Text { get; } = text;

        /// <summary>Names typed as the configuration root anywhere in the file (parameters, fields, locals).</summary>
        public HashSet<string> RootNames { get; } = [.. RootDeclaration().Matches(text).Select(m => m.Groups["name"].Value)];

        public int Line(int position)
        {
            _lineStarts ??= [0, .. Text.Select((c, i) => (c, i)).Where(x => x.c == '\n').Select(x => x.i + 1)];
            var index = Array.BinarySearch(_lineStarts, position);
            return (index >= 0 ? index : ~index - 1) + 1;
        }
    }

    private sealed record ConstDeclaration(Scanned File, string Type, string Name, string Expression, int Position);

    private sealed record Place(string Path, bool Children);

    private sealed record Call(string Receiver, string Name, string Generic, string Arguments);

    /// <summary>A method reading the key in parameter KeyIndex from the configuration in ReceiverIndex (or at FixedPath).</summary>
    private sealed record Helper(string Method, int KeyIndex, int ReceiverIndex, bool Extension, string? FixedPath);

    [GeneratedRegex(@"<ProjectReference\s+Include=""(?<path>[^""]+)""")]
    private static partial Regex ProjectReference();

    [GeneratedRegex(@"\??\.\s*(?<op>GetValue|GetSection|GetRequiredSection|GetConnectionString|GetEnvironmentVariable)\s*(?:<(?:[^<>]|<[^<>]*>)*>)?\s*\(")]
    private static partial Regex ConfigurationCall();

    [GeneratedRegex(@"(?<=[\w\)\]])[!?]?\[(?!\])")]
    private static partial Regex ElementAccess();

    [GeneratedRegex(@"^\.\s*(?:GetSection|GetRequiredSection|GetValue|GetConnectionString)\b")]
    private static partial Regex SectionStep();

    [GeneratedRegex(@"(?:^|[^=!<>])=(?![=>])")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^[A-Za-z_]\w*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*$")]
    private static partial Regex IdentifierChain();

    [GeneratedRegex(@"(?<name>[A-Za-z_]\w*)\s*(?:<[^<>()]*>)?\s*\((?<params>[^()]*(?:\([^()]*\)[^()]*)*)\)\s*(?:where\s[^{=;]*)?(?:\{|=>)")]
    private static partial Regex MethodDeclaration();

    [GeneratedRegex(@"[\w>\]?]\s+$")]
    private static partial Regex TypeBeforeName();

    [GeneratedRegex(@"\bAddOptions\s*<\s*(?<type>\w+)\s*>\s*\(\s*\)")]
    private static partial Regex AddOptions();

    [GeneratedRegex(@"\.\s*(?<op>BindConfiguration|Bind)\s*\(")]
    private static partial Regex BindCall();

    [GeneratedRegex(@"\.\s*Configure\s*<\s*(?<type>\w+)\s*>\s*\(")]
    private static partial Regex ConfigureOptions();

    [GeneratedRegex(@"public\s+(?:required\s+)?(?:[\w.?<>\[\], ]+?)\s+(?<name>[A-Za-z_]\w*)\s*\{\s*get;\s*(?:set|init);\s*\}")]
    private static partial Regex SettableProperty();

    [GeneratedRegex(@"(?<dollar>\$)?@?""(?<content>(?:[^""\\\n]|\\.)*)""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"%(?:(?<name>[A-Za-z_][\w:.\-]*)|\{(?<expression>[^{}]+)\})%")]
    private static partial Regex Binding();

    [GeneratedRegex(@"(?<!\{)\{(?<expression>[^{}]+)\}(?!\})")]
    private static partial Regex Hole();

    [GeneratedRegex(@"^nameof\s*\((?<name>[^()]+)\)$")]
    private static partial Regex NameOf();

    [GeneratedRegex(@"\bconst\s+string\s+(?<name>[A-Za-z_]\w*)\s*=\s*(?<value>[^;]+);")]
    private static partial Regex ConstString();

    [GeneratedRegex(@"\b(?:class|record|struct|interface)\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"\b(?:IConfiguration|IConfigurationRoot|IConfigurationManager|ConfigurationManager)\??\s+(?<name>[A-Za-z_]\w*)\b(?!\s*\()")]
    private static partial Regex RootDeclaration();

    private static Regex SectionDeclaration(string name) => new($@"\bIConfigurationSection\??\s+{Regex.Escape(name)}\b");
}
