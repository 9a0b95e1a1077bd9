#define BOOST_TEST_MODULE ftconfig
#include <boost/test/unit_test.hpp>
