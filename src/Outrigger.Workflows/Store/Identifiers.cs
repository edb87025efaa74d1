namespace Outrigger.Workflows.Store;

/// <summary>Rules for workflow ids, node ids and workflow names, which become parts of store keys.</summary>
internal static class Identifiers
{
    public const int MaxLength = 128;

    /// <summary>Letters, digits and <c>. _ - :</c>, starting with a letter or digit, at most 128 characters.</summary>
    public static bool IsValid(string value)
    {
        if (value.Length is 0 or > MaxLength || !char.IsAsciiLetterOrDigit(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    public static string Describe(string what, string value) =>
        $"{what} '{value}' is not valid: use 1-{MaxLength} letters, digits, '.', '_', '-' or ':', starting with a letter or digit";
}
