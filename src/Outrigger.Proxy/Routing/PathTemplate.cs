namespace Outrigger.Proxy.Routing;

/// <summary>
/// A path template such as <c>/users/{id}/orders/{**rest}</c>: literal segments match exactly (case-sensitive),
/// <c>{name}</c> matches one non-empty segment, a final <c>{**name}</c> or <c>{*name}</c> matches the rest (possibly empty).
/// </summary>
internal sealed class PathTemplate
{
    private readonly Segment[] _segments;

    private PathTemplate(Segment[] segments, string[] names)
    {
        _segments = segments;
        Names = names;
    }

    /// <summary>Parameter names in order; <see cref="TryMatch"/> fills values in the same order.</summary>
    public IReadOnlyList<string> Names { get; }

    public static bool TryParse(string template, out PathTemplate? result, out string problem)
    {
        result = null;
        problem = "";
        var parts = template.Trim('/').Split('/');
        var segments = new List<Segment>();
        var names = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length == 0 && parts.Length == 1)
            {
                break;
            }

            if (part.StartsWith('{') && part.EndsWith('}'))
            {
                var name = part[1..^1];
                var catchAll = name.StartsWith('*');
                name = name.TrimStart('*');
                if (name.Length == 0 || name.Contains('{', StringComparison.Ordinal) || name.Contains('}', StringComparison.Ordinal))
                {
                    problem = $"'{part}' in '{template}' is not a valid parameter ({{name}} or {{**name}})";
                    return false;
                }

                if (catchAll && i != parts.Length - 1)
                {
                    problem = $"catch-all '{part}' must be the last segment of '{template}'";
                    return false;
                }

                if (names.Contains(name))
                {
                    problem = $"parameter '{name}' appears twice in '{template}'";
                    return false;
                }

                names.Add(name);
                segments.Add(new Segment(catchAll ? SegmentKind.CatchAll : SegmentKind.Parameter, name));
            }
            else if (part.Contains('{', StringComparison.Ordinal) || part.Contains('}', StringComparison.Ordinal))
            {
                problem = $"segment '{part}' of '{template}' mixes text and a parameter; use whole-segment {{name}}";
                return false;
            }
            else
            {
                segments.Add(new Segment(SegmentKind.Literal, part));
            }
        }

        result = new PathTemplate([.. segments], [.. names]);
        return true;
    }

    /// <summary>Matches <paramref name="path"/>; on success <paramref name="values"/> holds one value per <see cref="Names"/> entry.</summary>
    public bool TryMatch(string path, out string[] values)
    {
        values = Names.Count == 0 ? [] : new string[Names.Count];
        var rest = path.AsSpan().TrimStart('/');
        var captured = 0;
        foreach (var segment in _segments)
        {
            if (segment.Kind == SegmentKind.CatchAll)
            {
                values[captured] = rest.ToString();
                return true;
            }

            var slash = rest.IndexOf('/');
            var current = slash < 0 ? rest : rest[..slash];
            if (current.Length == 0 || (segment.Kind == SegmentKind.Literal && !current.SequenceEqual(segment.Text)))
            {
                return false;
            }

            if (segment.Kind == SegmentKind.Parameter)
            {
                values[captured++] = current.ToString();
            }

            rest = slash < 0 ? [] : rest[(slash + 1)..];
        }

        return rest.IsEmpty;
    }

    /// <summary>Fills <c>{name}</c> and <c>{**name}</c> placeholders of <paramref name="pattern"/> with matched values.</summary>
    public string Expand(string pattern, string[] values)
    {
        var result = pattern;
        for (var i = 0; i < Names.Count; i++)
        {
            result = result.Replace("{**" + Names[i] + "}", values[i], StringComparison.Ordinal)
                .Replace("{*" + Names[i] + "}", values[i], StringComparison.Ordinal)
                .Replace("{" + Names[i] + "}", values[i], StringComparison.Ordinal);
        }

        return result;
    }

    private enum SegmentKind
    {
        Literal,
        Parameter,
        CatchAll,
    }

    private readonly record struct Segment(SegmentKind Kind, string Text);
}
