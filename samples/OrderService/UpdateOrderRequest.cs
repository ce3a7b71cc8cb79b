namespace OrderService;

/// <summary>The body of <c>PATCH /orders/{orderId}</c>: what to change; a field left out keeps its value.</summary>
/// <param name="State">The new state, one of <see cref="OrderStates.All"/>.</param>
/// <param name="ShippingAddress">The new shipping address.</param>
public sealed record UpdateOrderRequest(string? State = null, ShippingAddress? ShippingAddress = null)
{
    /// <summary>What is wrong with the request, by field (JSON path); empty when it is valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (State is null && ShippingAddress is null)
        {
            errors["state"] = ["Give state or shippingAddress (or both): there is nothing to change."];
        }

        if (State is not null && !OrderStates.All.Contains(State, StringComparer.Ordinal))
        {
            errors["state"] = [$"state must be one of {string.Join(", ", OrderStates.All)}; got '{State}'."];
        }

        ShippingAddress?.Validate("shippingAddress", errors);
        return errors;
    }
}
