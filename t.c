double f(double a, double b) { return a*b; }
int g(int x) { double d = x; return (int)(d*1.5); }
