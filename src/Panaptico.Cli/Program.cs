Console.WriteLine("panaptico");
return 0;
