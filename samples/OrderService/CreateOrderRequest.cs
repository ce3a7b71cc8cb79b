using System.Globalization;

namespace OrderService;

/// <summary>The body of <c>POST /orders</c>.</summary>
/// <param name="UserId">The buyer (positive); the order is stored on this user's shard.</param>
/// <param name="MerchantId">The merchant (positive).</param>
/// <param name="Items">The order lines, 1 to <see cref="MaxItems"/>.</param>
/// <param name="Currency">ISO 4217 code of three capital letters; <c>USD</c> when omitted.</param>
/// <param name="TradeNo">
/// An external trade number (1 to <see cref="MaxTradeNoLength"/> ASCII letters, digits, <c>-</c> or <c>_</c>) the order
/// can be found by (<c>GET /orders/by-trade-no/{tradeNo}</c>); unique: a number already used answers 409.
/// </param>
/// <param name="ShippingAddress">Where the order goes (stored as JSON); optional.</param>
/// <param name="Note">A note of the buyer's, 1 to <see cref="MaxNoteLength"/> characters, kept on the user shard only; optional.</param>
public sealed record CreateOrderRequest(
    long UserId,
    long MerchantId,
    IReadOnlyList<OrderItemRequest>? Items,
    string? Currency = null,
    string? TradeNo = null,
    ShippingAddress? ShippingAddress = null,
    string? Note = null)
{
    /// <summary>The longest note.</summary>
    public const int MaxNoteLength = 500;

    /// <summary>The longest trade number.</summary>
    public const int MaxTradeNoLength = 64;

    /// <summary>The most lines one order may have.</summary>
    public const int MaxItems = 100;

    /// <summary>The currency of an order that names none.</summary>
    public const string DefaultCurrency = "USD";

    private const decimal MaxUnitPrice = 1_000_000m;
    private const int MaxQuantity = 10_000;
    private const int MaxSkuLength = 64;

    /// <summary>What is wrong with the request, by field (JSON path), in the shape of a validation ProblemDetails; empty when it is valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (UserId <= 0)
        {
            errors["userId"] = [Invariant($"userId must be a positive number; got {UserId}.")];
        }

        if (MerchantId <= 0)
        {
            errors["merchantId"] = [Invariant($"merchantId must be a positive number; got {MerchantId}.")];
        }

        if (Currency is not null && (Currency.Length != 3 || !Currency.All(char.IsAsciiLetterUpper)))
        {
            errors["currency"] = [$"currency must be three capital letters (ISO 4217, e.g. USD); got '{Currency}'."];
        }

        if (TradeNo is not null && !IsTradeNo(TradeNo))
        {
            errors["tradeNo"] = [Invariant($"tradeNo must be 1 to {MaxTradeNoLength} ASCII letters, digits, '-' or '_'; got '{TradeNo}'.")];
        }

        if (Note is not null && (string.IsNullOrWhiteSpace(Note) || Note.Length > MaxNoteLength))
        {
            errors["note"] = [Invariant($"note must be 1 to {MaxNoteLength} characters.")];
        }

        ShippingAddress?.Validate("shippingAddress", errors);
        if (Items is null || Items.Count == 0)
        {
            errors["items"] = ["items must list at least one order line."];
            return errors;
        }

        if (Items.Count > MaxItems)
        {
            errors["items"] = [Invariant($"items has {Items.Count} lines; an order may have at most {MaxItems}.")];
            return errors;
        }

        for (var i = 0; i < Items.Count; i++)
        {
            var item = Items[i];
            var path = Invariant($"items[{i}]");
            if (item is null)
            {
                errors[path] = [path + " is null."];
                continue;
            }

            if (string.IsNullOrWhiteSpace(item.Sku) || item.Sku.Length > MaxSkuLength)
            {
                errors[path + ".sku"] = [Invariant($"{path}.sku must be 1 to {MaxSkuLength} characters.")];
            }

            if (item.Quantity is < 1 or > MaxQuantity)
            {
                errors[path + ".quantity"] = [Invariant($"{path}.quantity must be between 1 and {MaxQuantity}; got {item.Quantity}.")];
            }

            if (item.UnitPrice < 0 || item.UnitPrice > MaxUnitPrice || decimal.Round(item.UnitPrice, 2) != item.UnitPrice)
            {
                errors[path + ".unitPrice"] = [Invariant($"{path}.unitPrice must be between 0 and {MaxUnitPrice} with at most 2 decimals; got {item.UnitPrice}.")];
            }
        }

        return errors;
    }

    /// <summary>Whether <paramref name="value"/> is a well-formed trade number.</summary>
    public static bool IsTradeNo(string value) =>
        value.Length is > 0 and <= MaxTradeNoLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
