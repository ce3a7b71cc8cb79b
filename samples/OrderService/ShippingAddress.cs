namespace OrderService;

/// <summary>Where an order goes; stored in the <c>shop_orders.shipping_address</c> <c>JSON</c> column.</summary>
/// <param name="Name">The recipient, 1 to <see cref="MaxLength"/> characters.</param>
/// <param name="Line1">The street and number, 1 to <see cref="MaxLength"/> characters.</param>
/// <param name="City">The city, 1 to <see cref="MaxLength"/> characters.</param>
/// <param name="PostalCode">The postal code, 1 to <see cref="MaxLength"/> characters.</param>
/// <param name="Country">ISO 3166 code of two capital letters.</param>
public sealed record ShippingAddress(string? Name, string? Line1, string? City, string? PostalCode, string? Country)
{
    /// <summary>The longest value of a field.</summary>
    public const int MaxLength = 100;

    /// <summary>What is wrong with the address, by field (JSON path under <paramref name="path"/>), added to <paramref name="errors"/>.</summary>
    internal void Validate(string path, Dictionary<string, string[]> errors)
    {
        foreach (var (field, value) in new[] { ("name", Name), ("line1", Line1), ("city", City), ("postalCode", PostalCode) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length > MaxLength)
            {
                errors[$"{path}.{field}"] = [$"{path}.{field} must be 1 to {MaxLength} characters."];
            }
        }

        if (Country is not { Length: 2 } || !Country.All(char.IsAsciiLetterUpper))
        {
            errors[path + ".country"] = [$"{path}.country must be two capital letters (ISO 3166, e.g. DE); got '{Country}'."];
        }
    }
}
