using System.Reflection;
using System.Reflection.Emit;

namespace Ingress.Gateway.Tests.Architecture;

/// <summary>
/// Which types each type of an assembly uses: in its signatures (base type, interfaces, fields, properties, method
/// parameters and results, generic arguments, attributes) and in its code (every type, method and field its IL names),
/// found by reflection and by decoding the IL, compiler-generated closures and state machines counted with their owner.
/// </summary>
internal static class TypeDependencies
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>Every type of <paramref name="assembly"/> (by its owning top-level type) with the types it uses.</summary>
    public static Dictionary<Type, HashSet<Type>> Of(Assembly assembly)
    {
        var result = new Dictionary<Type, HashSet<Type>>();
        foreach (var type in assembly.GetTypes())
        {
            var owner = Owner(type);
            if (!result.TryGetValue(owner, out var used))
            {
                result[owner] = used = [];
            }

            Collect(type, used);
        }

        return result;
    }

    /// <summary>The outermost declaring type: nested and compiler-generated types belong to it.</summary>
    public static Type Owner(Type type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }

        return type;
    }

    private static void Collect(Type type, HashSet<Type> used)
    {
        Add(type.BaseType, used);
        foreach (var i in type.GetInterfaces())
        {
            Add(i, used);
        }

        foreach (var attribute in type.CustomAttributes)
        {
            Add(attribute.AttributeType, used);
        }

        foreach (var field in type.GetFields(Everything))
        {
            Add(field.FieldType, used);
        }

        foreach (var property in type.GetProperties(Everything))
        {
            Add(property.PropertyType, used);
        }

        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType, used);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType, used);
            }

            CollectIl(method, used);
        }
    }

    private static void CollectIl(MethodBase method, HashSet<Type> used)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (BadImageFormatException)
        {
            return;
        }

        if (il is null)
        {
            return;
        }

        var module = method.Module;
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            short code = il[i++];
            if (code == 0xFE)
            {
                code = (short)(0xFE00 | il[i++]);
            }

            if (!OperandTypes.TryGetValue(code, out var operand))
            {
                continue;
            }

            switch (operand)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, i);
                    try
                    {
                        switch (module.ResolveMember(token, typeArguments, methodArguments))
                        {
                            case Type t: Add(t, used); break;
                            case MemberInfo m: Add(m.DeclaringType, used); break;
                        }
                    }
                    catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or TypeLoadException)
                    {
                    }

                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    private static void Add(Type? type, HashSet<Type> used)
    {
        if (type is null)
        {
            return;
        }

        if (type.HasElementType)
        {
            Add(type.GetElementType(), used);
            return;
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                Add(argument, used);
            }

            type = type.GetGenericTypeDefinition();
        }

        if (!type.IsGenericParameter)
        {
            used.Add(Owner(type));
        }
    }
}
